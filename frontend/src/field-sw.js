// The grid-worker app's service worker (/field): its shell opens with no connection;
// reports wait in the page's outbox (field.js).
import { keepShellOffline } from "./offline-shell.js";

keepShellOffline("field");
