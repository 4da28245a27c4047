// A department kind (urban_management, police, …) by its name in the page's language;
// a kind a deployment added itself, which the catalogue does not name, as it is.

import { t } from "../strings.js";

export function kindName(kind) {
  const id = `page.department_kind.${kind}`;
  const name = t(id);
  return name === id ? kind : name;
}
