// The reconciliation view: two reviewers' disagreements on one document, fact by fact, with
// the fields that differ and each side's evidence highlighted in the source; the adjudicator
// settles each one (A, B, the model, or a value of their own with a reason).  The server
// decides what this page may show (a reviewer sees it only after submitting) and validates
// every decision.  All document strings go into the DOM as text.
"use strict";

(() => {
  const { el, api, show, message } = Review;
  const docId = decodeURIComponent(location.pathname.split("/").pop());
  const sourceEl = document.getElementById("source");
  const unitsEl = document.getElementById("units");
  let rec = null;
  let selected = null;

  function spanOf(ev) {
    return ev && Number.isInteger(ev.start) && Number.isInteger(ev.end) && ev.start < ev.end
      ? [ev.start, ev.end] : null;
  }

  function renderSource() {
    sourceEl.replaceChildren();
    const text = rec.source.text;
    if (text == null) {
      sourceEl.append(el("p", { class: "warning" }, "The source text is not available."));
      return;
    }
    const cps = Array.from(text);
    const spans = [];
    rec.units.forEach((u) => {
      for (const side of ["a", "b"]) {
        const s = spanOf(u.evidence[side]);
        if (s) spans.push({ key: u.key, side, start: s[0], end: Math.min(s[1], cps.length) });
      }
    });
    const cuts = new Set([0, cps.length]);
    spans.forEach((s) => { cuts.add(s.start); cuts.add(s.end); });
    const bounds = [...cuts].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < bounds.length; i++) {
      const a = bounds[i];
      const b = bounds[i + 1];
      const covering = spans.filter((s) => s.start <= a && s.end >= b);
      const seg = el("span", {}, cps.slice(a, b).join(""));
      if (covering.length) {
        const sides = new Set(covering.map((s) => s.side));
        seg.classList.add("ev", sides.size > 1 ? "r-ab" : `r-${[...sides][0]}`);
        seg.dataset.keys = JSON.stringify([...new Set(covering.map((s) => s.key))]);
        seg.addEventListener("click", () => select(covering[0].key, false));
      }
      frag.append(seg);
    }
    sourceEl.append(frag);
  }

  function quote(ev, who) {
    if (!ev || !ev.quote) return el("div", { class: "quote muted" }, `${who}: no quote`);
    return el("div", { class: "quote" }, `${who}: “${ev.quote}”`);
  }

  function cell(value) {
    return el("td", { class: "mono" }, Array.isArray(value) ? value.join(", ") : show(value));
  }

  function choiceForm(u) {
    const [a, b] = rec.reviewers;
    const form = el("form", { class: "settle" });
    const options = [["a", `As ${a}`], ["b", `As ${b}`], ["model", "As the model"], ["value", "Own value"]];
    const current = u.decision ? u.decision.choice : null;
    const radios = el("div", { class: "actions" }, options.map(([v, text]) =>
      el("label", {}, el("input", { type: "radio", name: "choice", value: v, checked: current === v }), " ", text)));
    const valueBox = el("textarea", { name: "value", rows: "5", class: "mono",
      placeholder: "the settled fact as JSON (null: none)" });
    valueBox.value = JSON.stringify(u.decision && u.decision.choice === "value" ? u.decision.value : u.a, null, 1);
    const valueRow = el("div", { class: "value-row" }, valueBox);
    const reason = el("input", { name: "reason", size: "40", placeholder: "reason (needed for your own value)" });
    const sync = () => { valueRow.hidden = (form.elements.choice.value !== "value"); };
    radios.addEventListener("change", sync);
    form.append(radios, valueRow, el("div", { class: "actions" }, reason,
      el("button", { type: "submit", class: "primary" }, "Settle")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const choice = form.elements.choice.value;
      if (!choice) { message("Choose A, B, the model or your own value.", "error"); return; }
      let value = null;
      if (choice === "value") {
        try { value = JSON.parse(valueBox.value); } catch (err) {
          message(`Not JSON: ${err.message}`, "error"); return;
        }
      }
      const res = await api(`/api/docs/${encodeURIComponent(docId)}/decisions`, {
        method: "POST", version: rec.version, body: { key: u.key, choice, value, reason: reason.value || null } });
      if (!res.ok) {
        const problems = (res.data && res.data.problems) || [];
        message(`${(res.data && res.data.error) || `HTTP ${res.status}`} ${problems.join("; ")}`, "error");
        if (res.status === 409) await load();
        return;
      }
      rec = res.data;
      message(`Settled ${u.label}.`, "ok");
      render();
    });
    sync();
    return form;
  }

  function unitCard(u) {
    const [a, b] = rec.reviewers;
    const settled = u.decision ? `settled: ${u.decision.choice === "value" ? "own value" :
      u.decision.choice === "model" ? "model" : u.decision.choice === "a" ? a : b}` : "open";
    const rows = u.fields.map((f) => el("tr", {},
      el("td", {}, f.field), el("td", { class: "small muted" }, f.kind), cell(f.a), cell(f.b),
      cell(modelField(u, f.field))));
    const card = el("article", { class: `unit${u.decision ? " done" : ""}`, dataset: { key: u.key },
      onclick: (event) => { if (!event.target.closest("form")) select(u.key, true); } },
      el("div", { class: "fact-head" },
        el("span", { class: "fact-title" }, u.label, u.many ? ` · ${itemName(u)}` : ""),
        el("span", { class: `badge ${u.decision ? "d-reviewed" : "d-in_progress"}` }, settled)),
      el("table", { class: "diff" },
        el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, ""), el("th", {}, a), el("th", {}, b),
          el("th", {}, "model"))),
        el("tbody", {}, rows)),
      quote(u.evidence.a, a), quote(u.evidence.b, b),
      quote(u.evidence.model, "model"),
      u.decision && u.decision.reason ? el("div", { class: "small" }, `Reason: ${u.decision.reason}`) : null,
      rec.can_settle ? choiceForm(u) : null);
    return card;
  }

  function modelField(u, name) {
    // The model's value of one differing field ("(whole item)": the model's item, if it had one).
    if (!u.model) return null;
    if (name === "(whole item)") return summary(u.model);
    return name.split(".").reduce((v, k) => (v && typeof v === "object" ? v[k] : null), u.model);
  }

  function summary(v) {
    if (!v || typeof v !== "object") return show(v);
    return String(v.value ?? v.name ?? v.event ?? v.method ?? v.status ?? JSON.stringify(v));
  }

  function itemName(u) {
    const parts = [];
    if (u.a) parts.push(summary(u.a));
    if (u.b && summary(u.b) !== summary(u.a)) parts.push(summary(u.b));
    return parts.join(" / ");
  }

  function select(key, scroll) {
    selected = key;
    unitsEl.querySelectorAll("article.unit").forEach((n) => n.classList.toggle("selected", n.dataset.key === key));
    let first = null;
    sourceEl.querySelectorAll("span.ev").forEach((seg) => {
      const on = JSON.parse(seg.dataset.keys || "[]").includes(key);
      seg.classList.toggle("focus", on);
      if (on && !first) first = seg;
    });
    if (scroll && first) first.scrollIntoView({ block: "center" });
    if (!scroll) {
      const card = unitsEl.querySelector(`article.unit[data-key="${CSS.escape(key)}"]`);
      if (card) card.scrollIntoView({ block: "nearest" });
    }
  }

  function render() {
    const [a, b] = rec.reviewers;
    document.title = `Reconcile: ${rec.id}`;
    document.body.dataset.version = String(rec.version);
    document.getElementById("doc-id").textContent = rec.id;
    document.getElementById("pair").textContent = `A: ${a} · B: ${b}`;
    const open = rec.units.filter((u) => !u.decision).length;
    const badge = document.getElementById("settled");
    badge.textContent = rec.settled ? "settled" : `${open} open`;
    badge.className = `badge ${rec.settled ? "d-reviewed" : "d-in_progress"}`;
    document.getElementById("version").textContent = `version ${rec.version}`;
    document.getElementById("me").textContent = rec.can_settle ? `Adjudicator: ${rec.me}` : `Reviewer: ${rec.me} (read only)`;
    document.getElementById("promote").hidden = !(rec.can_settle && rec.settled);
    document.getElementById("summary").textContent =
      `${rec.units.length} disagreement(s), ${rec.agreed} fact(s) agreed`;
    const warning = document.getElementById("warning");
    warning.hidden = !rec.source.warning;
    warning.textContent = rec.source.warning || "";
    renderSource();
    unitsEl.replaceChildren(...(rec.units.length ? rec.units.map(unitCard)
      : [el("p", { class: "muted" }, "The two reviewers agree on every field.")]));
    document.getElementById("history").replaceChildren(...rec.history.map((d) =>
      el("li", {}, `${d.at} ${d.adjudicator}: ${d.key} → ${d.choice}` + (d.reason ? ` (${d.reason})` : ""))));
    if (selected) select(selected, false);
  }

  async function load() {
    const res = await api(`/api/docs/${encodeURIComponent(docId)}/reconcile`);
    if (!res.ok) { message((res.data && res.data.error) || `HTTP ${res.status}`, "error"); return false; }
    rec = res.data;
    render();
    return true;
  }

  document.getElementById("promote").addEventListener("click", async () => {
    const res = await api(`/api/docs/${encodeURIComponent(docId)}/promote`, { method: "POST", body: {} });
    if (!res.ok) { message((res.data && res.data.error) || `HTTP ${res.status}`, "error"); return; }
    message(`Promoted: wrote ${res.data.wrote}`, "ok");
  });

  (async () => {
    await load();
    window.reviewReadyAt = performance.now();
    document.body.dataset.ready = "1";
  })();
})();
