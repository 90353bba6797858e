"use strict";

(async () => {
  const { el, api, label, message } = Review;
  const docId = decodeURIComponent(location.pathname.split("/").pop());
  document.getElementById("doc-id").textContent = docId;
  document.getElementById("doc-link").href = `${Review.base}/doc/${encodeURIComponent(docId)}`;
  const res = await api(`/api/docs/${encodeURIComponent(docId)}/diff`);
  if (!res.ok) { message((res.data && res.data.error) || `HTTP ${res.status}`, "error"); return; }
  const data = res.data;
  const status = document.getElementById("doc-status");
  status.textContent = label(data.doc_status);
  status.className = `badge d-${data.doc_status}`;

  const cell = (value) => el("td", { class: "mono" }, value === null || value === undefined ? "—" : JSON.stringify(value, null, 1));

  function fill(id, rows, empty) {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren();
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: "4", class: "muted" }, empty)));
    for (const r of rows) {
      body.append(el("tr", { class: `k-${r.kind}` }, el("td", { class: "mono" }, r.pointer),
        el("td", {}, r.kind), cell(r.left), cell(r.right)));
    }
  }

  fill("model-corrected", data.model_vs_corrected, "No corrections: the corrected record equals the model output.");
  const note = document.getElementById("gold-note");
  if (data.gold) {
    const fields = data.gold.annotated_fields ? ` It covers only: ${data.gold.annotated_fields.join(", ")}.` : "";
    note.textContent = `Gold by ${data.gold.annotator}.${fields}`;
    fill("corrected-gold", data.gold.corrected_vs_gold, "The corrected record equals gold.");
    fill("model-gold", data.gold.model_vs_gold, "The model output equals gold.");
  } else {
    note.textContent = data.gold_warning || `No gold record for ${docId} (gold/${docId}.json, or pass --gold DIR).`;
    document.querySelectorAll("#corrected-gold, #model-gold, #gold-section h2 + p ~ h2").forEach((n) => { n.hidden = true; });
  }
  document.body.dataset.ready = "1";
})();
