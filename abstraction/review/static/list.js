"use strict";

(async () => {
  const { el, api, label, message } = Review;
  const config = await api("/api/config");
  if (config.ok) document.getElementById("run").textContent = config.data.run;
  const res = await api("/api/docs");
  if (!res.ok) { message(res.data && res.data.error || "cannot load documents", "error"); return; }
  const body = document.querySelector("#docs tbody");
  if (!res.data.length) message("No extraction files in this folder.");
  for (const doc of res.data) {
    const link = el("a", { href: `${Review.base}/doc/${encodeURIComponent(doc.id)}` }, doc.id);
    const name = el("td", {}, link, doc.title ? el("div", { class: "muted small" }, doc.title) : null);
    if (doc.doc_status === "failed") {
      body.append(el("tr", { class: "failed", dataset: { id: doc.id } }, el("td", {}, doc.id),
        el("td", {}, el("span", { class: "badge d-failed" }, "failed")),
        el("td", { colspan: "7" }, doc.error || "")));
      continue;
    }
    const d = doc.decisions;
    body.append(el("tr", { dataset: { id: doc.id } },
      name,
      el("td", {}, el("span", { class: `badge d-${doc.doc_status}` }, label(doc.doc_status))),
      el("td", { class: "num" }, doc.facts),
      el("td", { class: "num" + (doc.unsupported ? " bad" : "") }, doc.unsupported),
      el("td", { class: "num" + (doc.fuzzy ? " warn" : "") }, doc.fuzzy),
      el("td", { class: "num" }, doc.exact),
      el("td", { class: "num" }, `${d.accepted} / ${d.edited} / ${d.rejected} / ${d.unreviewed}`),
      el("td", { class: "num" + (doc.conflicts ? " bad" : "") }, doc.conflicts),
      el("td", { class: "small" }, `${doc.model} · ${doc.prompt}`)));
  }
  window.reviewReadyAt = performance.now();
  document.body.dataset.ready = "1";
})();
