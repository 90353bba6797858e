// Shared helpers.  Every document string goes into the DOM as text (textContent or text
// nodes), never as markup: a case report may contain "<script>".
"use strict";

const Review = (() => {
  // Everything lives under /<session token>/: the first segment of this page's path.
  const base = "/" + location.pathname.split("/")[1];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(path, options = {}) {
    const init = { method: options.method || "GET", headers: { Accept: "application/json" } };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers["Content-Type"] = "application/json";
      init.headers["X-Review-Client"] = "1";
    }
    if (options.version !== undefined) init.headers["If-Match"] = `"${options.version}"`;
    const response = await fetch(base + path, init);
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    return { ok: response.ok, status: response.status, headers: response.headers, data };
  }

  function show(value) {
    if (value === null || value === undefined) return "not reported";
    if (typeof value === "string") return value;
    return JSON.stringify(value);
  }

  function label(status) {
    return String(status || "").replace(/_/g, " ");
  }

  function message(text, kind) {
    const node = document.getElementById("message");
    if (!node) return;
    node.textContent = text || "";
    node.className = "message" + (kind ? " " + kind : "");
  }

  return { base, el, api, show, label, message };
})();
