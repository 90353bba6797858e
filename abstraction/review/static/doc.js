// The document view: source text with evidence highlighted, and the fields beside it.
//
// Offsets: the server counts characters as Python does (Unicode code points); JavaScript
// strings count UTF-16 units, which differ for characters outside the BMP (e.g. "🧬", "𝛂").
// So the text is handled as an array of code points (Array.from), every rendered segment
// records its code-point start, and a selection is converted back to code points before it is
// sent.  The server re-cuts the quote from the offsets and refuses it if it differs.
"use strict";

(() => {
  const { el, api, show, label, message } = Review;
  const docId = decodeURIComponent(location.pathname.split("/").pop());
  const unsavedKey = `review-unsaved:${location.host}:${docId}`;
  const sourceEl = document.getElementById("source");
  const fieldsEl = document.getElementById("fields");
  const reviewerEl = document.getElementById("reviewer");
  const reasonEl = document.getElementById("reason");
  const triageEl = document.getElementById("triage");

  let doc = null;
  let schema = null;
  let dual = null;  // a dual review: {mode: "reviewer" | "adjudicator", who}
  let cps = [];
  let selected = null;
  let lastSelection = null;
  const segmentFacts = new WeakMap();

  // ---- offsets -----------------------------------------------------------------------------

  function codePoints(s) { return Array.from(s).length; }

  function cpOffset(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement.closest("[data-s]");
      return Number(seg.dataset.s) + codePoints(node.data.slice(0, offset));
    }
    if (node === sourceEl) {
      const child = sourceEl.children[offset];
      return child ? Number(child.dataset.s) : cps.length;
    }
    const seg = node.closest("[data-s]");
    if (!seg) return null;
    return Number(seg.dataset.s) + (offset === 0 ? 0 : codePoints(seg.textContent));
  }

  function readSelection() {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    const range = sel.getRangeAt(0);
    if (!sourceEl.contains(range.startContainer) || !sourceEl.contains(range.endContainer)) return null;
    let start = cpOffset(range.startContainer, range.startOffset);
    let end = cpOffset(range.endContainer, range.endOffset);
    if (start === null || end === null) return null;
    while (start < end && /\s/u.test(cps[start])) start++;
    while (end > start && /\s/u.test(cps[end - 1])) end--;
    if (start >= end) return null;
    return { start, end, quote: cps.slice(start, end).join("") };
  }

  document.addEventListener("selectionchange", () => {
    const found = readSelection();
    if (!found) return;
    lastSelection = found;
    const hint = document.getElementById("selection-hint");
    hint.textContent = `Selected (characters ${found.start}–${found.end}): “${found.quote}”. Press “Use selection” on a field.`;
    document.body.dataset.selection = `${found.start}-${found.end}`;
  });

  // ---- saving ------------------------------------------------------------------------------

  function loadUnsaved() {
    try { return JSON.parse(localStorage.getItem(unsavedKey) || "[]"); } catch (_) { return []; }
  }

  function storeUnsaved(items) {
    localStorage.setItem(unsavedKey, JSON.stringify(items));
    renderUnsaved();
  }

  async function submit(changes, description, { keepOnConflict = true } = {}) {
    const reviewer = reviewerEl.value.trim();
    if (!reviewer) {
      message("Enter your name as reviewer before saving.", "error");
      reviewerEl.focus();
      return false;
    }
    localStorage.setItem("review-reviewer", reviewer);
    const body = { reviewer, reason: reasonEl.value.trim() || null, changes };
    const res = await api(`/api/docs/${encodeURIComponent(docId)}/edits`,
      { method: "POST", body, version: doc.version });
    if (res.ok) {
      doc = res.data.doc;
      reasonEl.value = "";
      render();
      message(res.data.saved ? `Saved: ${description} (version ${doc.version}).` : "No change to save.", "ok");
      return true;
    }
    const error = (res.data && res.data.error) || `HTTP ${res.status}`;
    if (res.status === 409) {
      if (keepOnConflict) {
        storeUnsaved([...loadUnsaved(),
          { changes, description, error, at: new Date().toISOString(), version: doc.version }]);
      }
      await reload();
      message(`Not saved: ${error}`, "error");
      return false;
    }
    const problems = (res.data && res.data.problems) || [];
    message(`Not saved: ${error}${problems.length ? ": " + problems.join("; ") : ""}`, "error");
    return false;
  }

  async function reapply(index) {
    const items = loadUnsaved();
    const item = items[index];
    if (!item) return;
    if (await submit(item.changes, item.description, { keepOnConflict: false })) {
      storeUnsaved(loadUnsaved().filter((_, i) => i !== index));
    }
  }

  // ---- rendering ---------------------------------------------------------------------------

  // Fields the prompt did not ask the model for: their null or empty list means "not
  // extracted", not "not reported".  Returns [] (the slot was extracted), ["*"] (none of it
  // was), or the names of the fields of its records that were not.
  function notExtracted(slotPointer) {
    const path = slotPointer.split("/").slice(1).join(".");
    const top = path.split(".")[0];
    const out = [];
    for (const p of doc.not_extracted || []) {
      if (p === path || p === top) return ["*"];
      if (p.startsWith(path + ".")) out.push(p.slice(path.length + 1));
    }
    return out;
  }

  function headline(fact) {
    const v = fact.value;
    if (!v && notExtracted(fact.slot)[0] === "*") return "not extracted by this prompt";
    if (!v) return "not reported";
    const main = v.value ?? v.name ?? v.method ?? v.event ?? v.status ?? "";
    return String(main);
  }

  function markClass(fact) {
    if (fact.status !== "unreviewed") return `s-${fact.status}`;
    return `g-${(fact.evidence && fact.evidence.status) || "unsupported"}`;
  }

  function renderSource() {
    sourceEl.replaceChildren();
    const text = doc.source.text;
    if (text == null) {
      sourceEl.append(el("p", { class: "warning" }, "The source text is not available."));
      return;
    }
    cps = Array.from(text);
    const spans = doc.facts
      .filter((f) => f.evidence && Number.isInteger(f.evidence.start) && Number.isInteger(f.evidence.end))
      .map((f) => ({ f, start: Math.max(0, f.evidence.start), end: Math.min(cps.length, f.evidence.end) }))
      .filter((s) => s.start < s.end);
    const cuts = new Set([0, cps.length]);
    spans.forEach((s) => { cuts.add(s.start); cuts.add(s.end); });
    const bounds = [...cuts].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < bounds.length; i++) {
      const a = bounds[i];
      const b = bounds[i + 1];
      const covering = spans.filter((s) => s.start <= a && s.end >= b).map((s) => s.f);
      const seg = el("span", { dataset: { s: String(a) } }, cps.slice(a, b).join(""));
      if (covering.length) {
        seg.classList.add("ev", markClass(covering[0]));
        segmentFacts.set(seg, covering.map((f) => f.pointer));
        seg.title = covering.map((f) => `${f.label}: ${headline(f)}`).join("\n");
      }
      frag.append(seg);
    }
    sourceEl.append(frag);
  }

  function cardId(pointer) { return "fact" + pointer.replace(/[^A-Za-z0-9_-]/g, "_"); }

  function summaryRows(fact) {
    // Reported fields other than the headline, on one line; nulls are left to the edit form.
    const def = schema.$defs[fact.definition];
    const parts = [];
    for (const key of Object.keys(def.properties)) {
      if (key === "evidence" || key === "value" || !fact.value) continue;
      const now = fact.value[key];
      if (now === null || (Array.isArray(now) && !now.length)) continue;
      if (String(now) === headline(fact)) continue;
      parts.push(el("span", { class: "kv" }, el("span", { class: "k" }, label(key)), " ",
        el("span", { class: "v" }, Array.isArray(now) ? now.join(", ") : show(now))));
    }
    return parts.length ? [el("div", { class: "kvs" }, parts)] : [];
  }

  function modelHad(fact) {
    // For an edited fact, what the model said where it differs.
    if (fact.status !== "edited" || !fact.original || !fact.value) return [];
    const out = [];
    for (const [key, was] of Object.entries(fact.original)) {
      const now = fact.value[key];
      if (JSON.stringify(was) === JSON.stringify(now)) continue;
      const shown = key === "evidence" ? `“${was.quote}”` : show(was);
      out.push(el("div", { class: "small model-had" }, `model had ${label(key)}: `, shown));
    }
    return out;
  }

  function siblings(fact) {
    return doc.facts.filter((f) => f.slot === fact.slot).map((f) => f.pointer);
  }

  // Lists are ordered (treatments and the timeline are scored in order): move an item by
  // saving the whole list's new order.
  async function move(fact, delta, title) {
    const order = siblings(fact);
    const at = order.indexOf(fact.pointer);
    const to = at + delta;
    if (at < 0 || to < 0 || to >= order.length) return;
    [order[at], order[to]] = [order[to], order[at]];
    await submit([{ op: "order", pointer: fact.slot, value: order }],
      `moved ${title} ${delta < 0 ? "up" : "down"}`);
  }

  function factCard(fact) {
    const index = siblings(fact).indexOf(fact.pointer);
    const count = siblings(fact).length;
    const ev = fact.evidence;
    const grounding = ev ? ev.status || "unsupported" : null;
    const title = `${fact.label}${fact.many ? " #" + (index + 1) : ""}`;
    const card = el("article", { class: `fact st-${fact.status}`, id: cardId(fact.pointer), dataset: { pointer: fact.pointer } });
    const open = () => {
      body.hidden = true;
      const form = ReviewForm.factForm(schema, fact.definition, fact.value, {
        withEvidence: !fact.value,
        selection: () => lastSelection,
        onSave: async (value) => {
          if (await submit([{ op: "set", pointer: fact.pointer, value }], `edited ${title}`)) return;
        },
        onCancel: () => { form.remove(); body.hidden = false; },
      });
      card.append(form);
      const first = form.querySelector("input,select");
      if (first) first.focus();
    };
    const useSelection = async () => {
      if (!lastSelection) { message("Select the evidence in the source text first.", "error"); return; }
      await submit([{ op: "set_evidence", pointer: `${fact.pointer}/evidence`, value: lastSelection }],
        `evidence of ${title}`);
    };
    const actions = el("span", { class: "actions" });
    if (fact.value) {
      actions.append(
        el("button", { type: "button", class: "small accept", title: "The value and its evidence are right", onclick: () => submit([{ op: "accept", pointer: fact.pointer }], `accepted ${title}`) }, "Accept"),
        el("button", { type: "button", class: "small edit", onclick: open }, "Edit"),
        el("button", { type: "button", class: "small reject", title: "The text does not state this", onclick: () => submit([{ op: "reject", pointer: fact.pointer }], `rejected ${title}`) }, "Reject"),
        el("button", { type: "button", class: "small use-selection", title: "Make the text selected in the source this field's evidence", onclick: useSelection }, "Use selection"));
    } else {
      actions.append(el("button", { type: "button", class: "small edit", onclick: open }, "Fill in"));
    }
    if (fact.many) {
      actions.append(
        el("button", { type: "button", class: "small move move-up", title: "Move up in the list", disabled: index === 0, onclick: () => move(fact, -1, title) }, "↑"),
        el("button", { type: "button", class: "small move move-down", title: "Move down in the list", disabled: index === count - 1, onclick: () => move(fact, 1, title) }, "↓"));
    }
    card.append(el("div", { class: "fact-head" },
      el("span", { class: "fact-title" }, title),
      fact.added ? el("span", { class: "badge" }, "added") : null,
      grounding ? el("span", { class: `badge g-${grounding}` }, grounding) : null,
      el("span", { class: `badge st-${fact.status}` }, label(fact.status))));
    const body = el("div", { class: "fact-body" },
      el("div", { class: "value" }, headline(fact)),
      ...summaryRows(fact),
      ev ? el("blockquote", { class: "quote" }, ev.quote || "(no quote)") : null,
      ev && ev.note ? el("div", { class: `small grounding-note ${grounding === "unsupported" ? "g-unsupported" : "muted"}` },
        grounding === "unsupported" ? `unsupported: ${ev.note}` : ev.note) : null,
      ...modelHad(fact),
      actions);
    card.append(body);
    card.addEventListener("click", (e) => {
      if (e.target.closest("button,input,select,textarea,label,form")) return;
      selectFact(fact.pointer, true);
    });
    return card;
  }

  function addButton(slot) {
    const wrap = el("div", { class: "add-slot", dataset: { slot: slot.pointer } });
    const button = el("button", { type: "button", class: "small add", onclick: () => {
      button.hidden = true;
      const form = ReviewForm.factForm(schema, slot.definition, null, {
        title: `New: ${slot.label}`,
        withEvidence: true,
        selection: () => lastSelection,
        onSave: async (value) => { await submit([{ op: "add", pointer: slot.pointer, value }], `added to ${slot.label}`); },
        onCancel: () => { form.remove(); button.hidden = false; },
      });
      wrap.append(form);
    } }, `+ add ${slot.label}`);
    wrap.append(button);
    return wrap;
  }

  // Triage: the facts most in need of a look first (undecided before decided; unsupported,
  // then fuzzy, then exact; nothing reported last), schema order within each group.
  function triageRank(f) {
    if (!f.value) return 5;
    if (f.status !== "unreviewed") return 4;
    return { unsupported: 0, fuzzy: 1, exact: 2 }[(f.evidence && f.evidence.status) || "unsupported"] ?? 3;
  }

  function renderTriage() {
    const facts = doc.facts.map((f, i) => [triageRank(f), i, f]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    fieldsEl.append(el("h3", { class: "section" }, "least supported first"));
    facts.forEach(([, , f]) => fieldsEl.append(factCard(f)));
    fieldsEl.append(el("h3", { class: "section" }, "add to a list"));
    doc.slots.filter((s) => s.many).forEach((slot) => fieldsEl.append(addButton(slot)));
  }

  function renderFields() {
    fieldsEl.replaceChildren();
    if (triageEl.checked) renderTriage();
    else renderBySection();
    renderHistory();
  }

  function renderBySection() {
    let section = null;
    for (const slot of doc.slots) {
      const top = slot.pointer.split("/")[1];
      if (top !== section) {
        section = top;
        fieldsEl.append(el("h3", { class: "section" }, label(top)));
      }
      const facts = doc.facts.filter((f) => f.slot === slot.pointer);
      facts.forEach((f) => fieldsEl.append(factCard(f)));
      const skipped = notExtracted(slot.pointer);
      if (skipped.length && (slot.many || skipped[0] !== "*")) {
        fieldsEl.append(el("p", { class: "small muted not-extracted", dataset: { slot: slot.pointer } },
          skipped[0] === "*" ? `${slot.label}: not extracted by this prompt`
            : `${slot.label}: not extracted by this prompt: ${skipped.map(label).join(", ")}`));
      }
      if (slot.many) fieldsEl.append(addButton(slot));
    }
  }

  function renderHistory() {
    const history = el("details", { class: "history" }, el("summary", {}, `History (${doc.edits.length} edits)`));
    const list = el("ol", {});
    for (const e of doc.edits) {
      list.append(el("li", {}, `${e.at} · ${e.reviewer} · ${e.op} ${e.pointer || "(document)"}`,
        e.op === "set" || e.op === "set_evidence" ? ` → ${show(e.new && e.new.quote !== undefined ? e.new.quote : e.new)}` : "",
        e.op === "status" ? ` → ${label(e.new)}` : "",
        e.reason ? ` — “${e.reason}”` : ""));
    }
    history.append(list);
    fieldsEl.append(history);
  }

  function selectFact(pointer, scrollSource) {
    selected = pointer;
    document.querySelectorAll(".fact.selected").forEach((n) => n.classList.remove("selected"));
    sourceEl.querySelectorAll(".focus").forEach((n) => n.classList.remove("focus"));
    const card = document.getElementById(cardId(pointer));
    if (card) card.classList.add("selected");
    const marks = [...sourceEl.children].filter((n) => (segmentFacts.get(n) || []).includes(pointer));
    marks.forEach((m) => m.classList.add("focus"));
    if (scrollSource && marks.length) marks[0].scrollIntoView({ block: "center" });
    if (!scrollSource && card) card.scrollIntoView({ block: "nearest" });
  }

  sourceEl.addEventListener("click", (e) => {
    const seg = e.target.closest("[data-s]");
    const pointers = seg && segmentFacts.get(seg);
    if (!pointers || !window.getSelection().isCollapsed) return;
    const next = pointers[(pointers.indexOf(selected) + 1) % pointers.length];
    selectFact(next, false);
  });

  function renderConflicts() {
    const box = document.getElementById("conflicts");
    const list = box.querySelector("ul");
    list.replaceChildren();
    box.hidden = !doc.conflicts.length;
    for (const c of doc.conflicts) {
      const e = c.edit;
      const again = [];
      if (e.op === "add") again.push({ op: "add", pointer: e.pointer.split("/").slice(0, -1).join("/"), value: e.new });
      else if (e.op === "accept" || e.op === "reject") again.push({ op: e.op, pointer: e.pointer });
      else again.push({ op: "set", pointer: e.pointer, value: e.new });
      again.push({ op: "dismiss", value: e.id });
      list.append(el("li", { dataset: { edit: e.id } },
        el("div", {}, el("strong", {}, `${e.op} ${e.pointer}`), ` by ${e.reviewer}, ${e.at}: ${c.reason}`),
        el("div", { class: "small" }, "reviewer's value: ", show(e.new)),
        el("div", { class: "small" }, "model then: ", show(e.old), " · model now: ", show(c.model_now)),
        el("div", { class: "actions" },
          // an order names the items of a list the model has since changed: reorder by hand
          e.op === "order" ? null
            : el("button", { type: "button", onclick: () => submit(again, `re-applied ${e.pointer}`) }, "Apply again"),
          el("button", { type: "button", onclick: () => submit([{ op: "dismiss", value: e.id }], `dismissed ${e.pointer}`) }, "Dismiss"))));
    }
  }

  function renderUnsaved() {
    const box = document.getElementById("unsaved");
    const list = box.querySelector("ul");
    const items = loadUnsaved();
    list.replaceChildren();
    box.hidden = !items.length;
    items.forEach((item, i) => {
      list.append(el("li", {},
        el("div", {}, el("strong", {}, item.description), ` (made on version ${item.version}) — ${item.error}`),
        el("div", { class: "small mono" }, JSON.stringify(item.changes)),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "reapply", onclick: () => reapply(i) }, "Re-apply"),
          el("button", { type: "button", onclick: () => storeUnsaved(loadUnsaved().filter((_, j) => j !== i)) }, "Discard"))));
    });
  }

  function renderHeader() {
    document.title = `Review: ${doc.id}`;
    document.body.dataset.version = String(doc.version);
    document.getElementById("doc-id").textContent = doc.id;
    const titleEl = document.getElementById("doc-title");
    titleEl.textContent = doc.title || "";
    titleEl.title = doc.title || "";
    const status = document.getElementById("doc-status");
    status.textContent = label(doc.doc_status);
    status.className = `badge d-${doc.doc_status}`;
    document.getElementById("version").textContent = `version ${doc.version}`;
    const passes = (doc.provenance.passes || []).map((p) =>
      p.status === "ok" ? `${p.name}${p.retried ? ` (asked again after ${p.retried})` : ""}`
        : p.status === "skipped" ? `${p.name} not asked: ${p.error || "does not apply"}`
        : `${p.name} FAILED: ${p.error || "no reason"}`);
    document.getElementById("provenance").textContent =
      `Model output: ${doc.provenance.model}, prompt ${doc.provenance.prompt}` +
      (passes.length > 1 || passes.some((p) => p.includes("FAILED") || p.includes("again"))
        ? ` · passes: ${passes.join("; ")}` : "");
    document.getElementById("accept-all").hidden = doc.doc_status === "reviewed";
    // In a dual review a submitted document is final: no reopening; the reconciliation opens.
    document.getElementById("reopen").hidden = doc.doc_status !== "reviewed" || dual !== null;
    const reconcileLink = document.getElementById("reconcile-link");
    reconcileLink.hidden = !(dual && doc.doc_status === "reviewed");
    reconcileLink.href = `${Review.base}/reconcile/${encodeURIComponent(doc.id)}`;
    document.getElementById("diff-link").href = `${Review.base}/diff/${encodeURIComponent(doc.id)}`;
    const warning = document.getElementById("warning");
    warning.hidden = !doc.source.warning;
    warning.textContent = doc.source.warning || "";
    const c = doc.counts;
    const d = c.decisions;
    document.getElementById("counts").textContent =
      `${c.facts} facts from the model: ${c.exact} exact, ${c.fuzzy} fuzzy, ${c.unsupported} unsupported · ` +
      `${d.accepted} accepted, ${d.edited} edited, ${d.rejected} rejected, ${d.unreviewed} to review`;
  }

  function render() {
    const scroll = [sourceEl.scrollTop, fieldsEl.parentElement.scrollTop];
    renderHeader();
    renderSource();
    renderFields();
    renderConflicts();
    renderUnsaved();
    [sourceEl.scrollTop, fieldsEl.parentElement.scrollTop] = scroll;
    if (selected) selectFact(selected, false);
  }

  async function reload() {
    const res = await api(`/api/docs/${encodeURIComponent(docId)}`);
    if (!res.ok) { message((res.data && res.data.error) || `HTTP ${res.status}`, "error"); return false; }
    doc = res.data;
    render();
    return true;
  }

  // ---- moving around: next and previous document, keyboard shortcuts -------------------------

  // The order is the list page's (saved when it was shown), so "next" stays the next in the
  // worklist even after this document moves to the end once reviewed; opened directly, the
  // server's triage order at load time.
  async function neighbours() {
    let order = null;
    try { order = JSON.parse(sessionStorage.getItem("review-order") || "null"); } catch (_) { order = null; }
    if (Array.isArray(order) && order.includes(docId)) {
      const at = order.indexOf(docId);
      return { previous: order[at - 1] || null, next: order[at + 1] || null };
    }
    const res = await api(`/api/docs/${encodeURIComponent(docId)}/around`);
    return res.ok ? res.data : { previous: null, next: null };
  }

  function docHref(id) { return `${Review.base}/doc/${encodeURIComponent(id)}`; }

  async function renderNeighbours() {
    const around = await neighbours();
    for (const [key, id] of [["prev-doc", around.previous], ["next-doc", around.next]]) {
      const link = document.getElementById(key);
      link.hidden = !id;
      if (id) { link.href = docHref(id); link.dataset.doc = id; }
    }
  }

  function cards() { return [...fieldsEl.querySelectorAll("article.fact")]; }

  function step(delta) {
    const all = cards();
    if (!all.length) return null;
    const at = all.findIndex((c) => c.dataset.pointer === selected);
    const next = at < 0 ? (delta > 0 ? all[0] : all[all.length - 1]) : all[at + delta];
    return next ? next.dataset.pointer : null;
  }

  function focusFact(pointer) {
    if (!pointer) return;
    selectFact(pointer, true);
    const card = document.getElementById(cardId(pointer));
    if (card) card.scrollIntoView({ block: "nearest" });
  }

  async function decide(op) {
    const fact = doc.facts.find((f) => f.pointer === selected);
    if (!fact || !fact.value) return;
    const after = step(1);
    if (await submit([{ op, pointer: fact.pointer }], `${op === "accept" ? "accepted" : "rejected"} ${fact.label}`)) {
      focusFact(after || fact.pointer);
    }
  }

  function press(selector) {
    const card = selected && document.getElementById(cardId(selected));
    const button = card && card.querySelector(selector);
    if (button && !button.disabled) button.click();
  }

  const KEYS = {
    j: () => focusFact(step(1)),
    k: () => focusFact(step(-1)),
    a: () => decide("accept"),
    r: () => decide("reject"),
    e: () => press(".fact-body .edit"),
    s: () => press(".use-selection"),
    n: () => { const l = document.getElementById("next-doc"); if (!l.hidden) location.href = l.href; },
    p: () => { const l = document.getElementById("prev-doc"); if (!l.hidden) location.href = l.href; },
  };

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !doc) return;
    if (e.target.closest && e.target.closest("input,select,textarea,[contenteditable]")) return;
    const action = KEYS[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  });

  triageEl.checked = localStorage.getItem("review-triage") === "1";
  triageEl.addEventListener("change", () => {
    localStorage.setItem("review-triage", triageEl.checked ? "1" : "0");
    renderFields();
    if (selected) selectFact(selected, false);
  });

  document.getElementById("accept-all").addEventListener("click",
    () => submit([{ op: "accept_all" }], "accepted all open fields; marked reviewed"));
  document.getElementById("reopen").addEventListener("click",
    () => submit([{ op: "status", value: "in_progress" }], "reopened"));

  (async () => {
    const [schemaRes, configRes, docRes] = await Promise.all(
      [api("/api/schema"), api("/api/config"), api(`/api/docs/${encodeURIComponent(docId)}`)]);
    schema = schemaRes.data;
    reviewerEl.value = localStorage.getItem("review-reviewer") || (configRes.data && configRes.data.default_reviewer) || "";
    if (configRes.data && configRes.data.mode) {
      dual = { mode: configRes.data.mode, who: configRes.data.who };
      reviewerEl.value = dual.who;
      reviewerEl.disabled = true;  // the server records this app's reviewer whatever is sent
      document.getElementById("accept-all").textContent = "Accept all & submit";
    }
    if (!docRes.ok) { message((docRes.data && docRes.data.error) || `HTTP ${docRes.status}`, "error"); return; }
    doc = docRes.data;
    render();
    await renderNeighbours();
    window.reviewReadyAt = performance.now();
    document.body.dataset.ready = "1";
  })();
})();
