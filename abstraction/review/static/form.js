// The edit form of one fact, built from the record's JSON schema: enums are selects, lists of
// strings have add and remove, nullable fields a "not reported" box.  Used by doc.js.
"use strict";

const ReviewForm = (() => {
  const { el, label, message } = Review;

  function resolveRef(schema, s) {
    if (s && s.$ref) return schema.$defs[s.$ref.split("/").pop()];
    return s;
  }

  function unwrap(schema, prop) {
    const alts = prop.anyOf || null;
    if (!alts) return { base: resolveRef(schema, prop), nullable: false };
    const nonNull = alts.filter((a) => a.type !== "null");
    return { base: resolveRef(schema, nonNull[0]), nullable: nonNull.length < alts.length };
  }

  function listEditor(items) {
    const list = el("ul", { class: "list-editor" });
    const addRow = (text) => {
      const input = el("input", { type: "text", value: text });
      list.append(el("li", {}, input, el("button", { type: "button", class: "small", title: "remove",
        onclick: (e) => e.currentTarget.closest("li").remove() }, "✕")));
    };
    (items || []).forEach(addRow);
    const box = el("div", {}, list,
      el("button", { type: "button", class: "small", onclick: () => addRow("") }, "+ add"));
    return { node: box, get: () => [...list.querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean) };
  }

  // No silent defaults: a field with no value starts empty ("not reported" ticked when it may
  // be null, "choose" for a required choice), and saving refuses a required field left empty.
  // `get` returns undefined for a required field nobody filled in.
  function control(schema, key, prop, current) {
    const { base, nullable } = unwrap(schema, prop);
    let node;
    let get;
    if (base.enum) {
      const choose = current == null ? [el("option", { value: "" }, "— choose —")] : [];
      node = el("select", { name: key }, choose, base.enum.map((v) => el("option", { value: v }, v)));
      node.value = current == null ? "" : current;
      get = () => (node.value === "" ? undefined : node.value);
    } else if (base.type === "array") {
      const editor = listEditor(current);
      node = editor.node;
      get = editor.get;
    } else if (base.type === "number" || base.type === "integer") {
      node = el("input", { type: "number", name: key, step: base.type === "integer" ? "1" : "any",
        value: current == null ? "" : String(current) });
      get = () => (node.value === "" ? NaN : Number(node.value));
    } else {
      node = el("input", { type: "text", name: key, value: current == null ? "" : String(current) });
      // an emptied optional text is "not reported" (null), never an empty string
      get = () => (node.value.trim() === "" ? (nullable ? null : undefined) : node.value);
    }
    const row = el("div", { class: "form-row", dataset: { field: key } },
      el("label", { class: "form-label" }, label(key)), node);
    let absent = null;
    if (nullable) {
      absent = el("input", { type: "checkbox", class: "not-reported", checked: current == null,
        onchange: () => toggle() });
      row.append(el("label", { class: "small" }, absent, " not reported"));
    }
    function toggle() {
      const off = absent && absent.checked;
      node.querySelectorAll ? node.querySelectorAll("input,button,select").forEach((n) => { n.disabled = off; }) : null;
      if ("disabled" in node) node.disabled = off;
      row.classList.toggle("off", Boolean(off));
    }
    toggle();
    return { row, get: () => (absent && absent.checked ? null : get()) };
  }

  // `selection` returns the reviewer's last text selection in the source ({start, end, quote})
  // or null; `onSave` gets the fact without evidence, or with it when `withEvidence`.
  function factForm(schema, definition, value, { title, withEvidence, selection, onSave, onCancel }) {
    const def = schema.$defs[definition];
    const controls = [];
    const form = el("form", { class: "fact-form", onsubmit: (e) => { e.preventDefault(); save(); } });
    if (title) form.append(el("h4", {}, title));
    for (const [key, prop] of Object.entries(def.properties)) {
      if (key === "evidence") continue;
      const c = control(schema, key, prop, value ? value[key] : null);
      controls.push([key, c]);
      form.append(c.row);
    }
    let evidence = null;
    const evNote = el("p", { class: "small muted" }, "Evidence: select the words in the source, then press “Use selection”.");
    if (withEvidence) {
      form.append(evNote, el("button", { type: "button", class: "small", onclick: () => {
        if (!selection()) { message("Select the evidence in the source text first.", "error"); return; }
        evidence = selection();
        evNote.textContent = `Evidence: “${evidence.quote}”`;
      } }, "Use selection"));
    }
    async function save() {
      const out = {};
      for (const [key, c] of controls) {
        const v = c.get();
        if (typeof v === "number" && Number.isNaN(v)) { message(`${label(key)}: enter a number or tick “not reported”.`, "error"); return; }
        if (v === undefined) { message(`${label(key)}: fill this in (or tick “not reported” where it may be).`, "error"); return; }
        out[key] = v;
      }
      if (withEvidence) out.evidence = evidence || { quote: "" };
      await onSave(out);
    }
    form.append(el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary" }, "Save"),
      el("button", { type: "button", onclick: onCancel }, "Cancel")));
    return form;
  }

  return { factForm };
})();
