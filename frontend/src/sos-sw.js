// The SOS page's service worker (/sos): a key place's terminal opens with no connection;
// presses wait in the page's own store (sos.js).
import { keepShellOffline } from "./offline-shell.js";

keepShellOffline("sos");
