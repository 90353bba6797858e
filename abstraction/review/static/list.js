"use strict";

(async () => {
  const { el, api, label, message } = Review;
  const config = await api("/api/config");
  if (config.ok) document.getElementById("run").textContent = config.data.run;
  const mode = config.ok ? config.data.mode : null;  // a dual review: "reviewer" or "adjudicator"
  const FIRST = 500;  // the most in need of review; the rest on request (10,000 rows take seconds)
  const body = document.querySelector("#docs tbody");

  function row(doc) {
    const link = el("a", { href: `${Review.base}/doc/${encodeURIComponent(doc.id)}` }, doc.id);
    const name = el("td", {}, link, reconcileLink(doc),
      doc.title ? el("div", { class: "muted small" }, doc.title) : null,
      doc.submitted ? el("div", { class: "muted small submitted" },
        `submitted by ${doc.submitted.length ? doc.submitted.join(", ") : "nobody yet"}`) : null);
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

  function reconcileLink(doc) {
    // The server says no (403) to a reviewer who has not submitted; the link follows that rule.
    const mine = mode === "reviewer" && doc.doc_status === "reviewed";
    if (!doc.submitted || doc.submitted.length < 2 || !(mode === "adjudicator" || mine)) return null;
    return el("a", { class: "reconcile", href: `${Review.base}/reconcile/${encodeURIComponent(doc.id)}` },
      "Reconcile");
  }

  async function loadAgreement() {
    const res = await api("/api/agreement");
    if (!res.ok) return;
    const box = document.getElementById("agreement");
    box.hidden = false;
    const tables = res.data.map((pair) => el("div", {},
      el("h3", { class: "section" }, `${pair.first} vs ${pair.second}: ${pair.documents.length} document(s) both submitted`),
      el("table", { class: "docs agreement" },
        el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "F1"), el("th", {}, "Cohen's κ"), el("th", {}, "slots"))),
        el("tbody", {}, pair.fields.map((f) => el("tr", { dataset: { path: f.path } },
          el("td", {}, f.path),
          el("td", { class: "num" }, f.f1 === null ? "–" : f.f1.toFixed(3)),
          el("td", { class: "num" }, f.kappa === null ? "–" : f.kappa.toFixed(3)),
          el("td", { class: "num" }, f.pairs || "")))))));
    box.querySelector("div").replaceChildren(...tables);
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
  if (mode === "adjudicator") await loadAgreement();
  window.reviewReadyAt = performance.now();
  document.body.dataset.ready = "1";
})();
