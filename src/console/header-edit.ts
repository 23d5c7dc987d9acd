// The custom header rows of the Delivery tab (HeadersEditor in pages/webhook.tsx), read back from a post.
import { InvalidInput, type FieldError } from "../domain/problems";
import type { HeaderEdit } from "../domain/custom-headers";
import { checked, text, type Form } from "./forms";

/** The header rows of the Delivery tab as a write-only edit: empty values keep what is stored. */
export function readHeaderEdit(form: Form): HeaderEdit {
  const edit: HeaderEdit = { set: {}, remove: [] };
  const missing: FieldError[] = [];
  for (let i = 0; text(form, `header_name_${i}`) !== undefined; i++) {
    const name = text(form, `header_name_${i}`)!;
    if (checked(form, `header_remove_${i}`)) edit.remove.push(name);
    else {
      const value = text(form, `header_value_${i}`);
      if (value !== undefined) edit.set[name] = value;
    }
  }
  for (let i = 0; i < 2; i++) {
    const name = text(form, `new_header_name_${i}`);
    const value = text(form, `new_header_value_${i}`);
    if (name === undefined && value === undefined) continue;
    if (name === undefined) missing.push({ path: "headers", message: "a new header needs a name" });
    else if (value === undefined) missing.push({ path: `headers.${name}`, message: `header ${name} needs a value` });
    else edit.set[name] = value;
  }
  if (missing.length) throw new InvalidInput(missing);
  return edit;
}
