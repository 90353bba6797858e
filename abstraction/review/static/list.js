"use strict";

(async () => {
  const { el, api, label, message } = Review;
  const config = await api("/api/config");
  if (config.ok) document.getElementById("run").textContent = config.data.run;
  const FIRST = 500;  // the most in need of review; the rest on request (10,000 rows take seconds)
  const body = document.querySelector("#docs tbody");

  function row(doc) {
    const link = el("a", { href: `${Review.base}/doc/${encodeURIComponent(doc.id)}` }, doc.id);
    const name = el("td", {}, link, doc.title ? el("div", { class: "muted small" }, doc.title) : null);
    if (doc.doc_status === "failed") {
      return el("tr", { class: "failed", dataset: { id: doc.id } }, el("td", {}, doc.id),
        el("td", {}, el("span", { class: "badge d-failed" }, "failed")),
        el("td", { colspan: "7" }, doc.error || ""));
    }
    const d = doc.decisions;
    return el("tr", { dataset: { id: doc.id } },
      name,
      el("td", {}, el("span", { class: `badge d-${doc.doc_status}` }, label(doc.doc_status))),
      el("td", { class: "num" }, doc.facts),
      el("td", { class: "num" + (doc.unsupported ? " bad" : "") }, doc.unsupported),
      el("td", { class: "num" + (doc.fuzzy ? " warn" : "") }, doc.fuzzy),
      el("td", { class: "num" }, doc.exact),
      el("td", { class: "num" }, `${d.accepted} / ${d.edited} / ${d.rejected} / ${d.unreviewed}`),
      el("td", { class: "num" + (doc.conflicts ? " bad" : "") }, doc.conflicts),
      el("td", { class: "small" }, `${doc.model} · ${doc.prompt}`));
  }

  async function load(limit) {
    const res = await api(limit ? `/api/docs?limit=${limit}` : "/api/docs");
    if (!res.ok) { message(res.data && res.data.error || "cannot load documents", "error"); return false; }
    const total = Number(res.headers.get("X-Total-Count") || res.data.length);
    body.replaceChildren(...res.data.map(row));
    // the worklist the document page's "next" and "previous" follow
    sessionStorage.setItem("review-order",
      JSON.stringify(res.data.filter((d) => d.doc_status !== "failed").map((d) => d.id)));
    const more = document.getElementById("more");
    if (!res.data.length) message("No extraction files in this folder.");
    else if (res.data.length < total) {
      message(`Showing the first ${res.data.length} of ${total} documents.`);
      more.hidden = false;
    } else {
      message("");
      more.hidden = true;
    }
    return true;
  }

  document.getElementById("more").addEventListener("click", () => load(0));
  if (!(await load(FIRST))) return;
  window.reviewReadyAt = performance.now();
  document.body.dataset.ready = "1";
})();
