// The leader's indicators page: the area filter is chosen by name from the region
// picker; the form itself is a plain GET form the server answers.

import { regionPicker } from "./lib/region-picker.js";

regionPicker(document.getElementById("region"));
