// The edit page: reads the project from the API, sends changes with the token.
// Plain DOM and fetch; text is only ever set through value/textContent.
"use strict";

(function () {
  const path = location.pathname;
  const at = path.lastIndexOf("/edit/");
  const base = path.slice(0, at);
  const [event, slug] = path.slice(at + "/edit/".length).split("/").map(decodeURIComponent);
  const api = `${base}/api/v1/events/${encodeURIComponent(event)}/projects/${encodeURIComponent(slug)}`;
  const FIELDS = ["summary", "pitch", "webpage_url", "source_url", "download_url", "contact_url", "image_url"];
  const $ = (id) => document.getElementById(id);
  let etag = "";
  let loaded = {};

  function status(text, kind) {
    $("status").textContent = text;
    $("status").className = kind || "";
  }

  function clearErrors() {
    for (const node of document.querySelectorAll(".error")) node.textContent = "";
  }

  function token() {
    return $("token").value.trim();
  }

  async function call(method, url, body, ifMatch) {
    const headers = { "Accept": "application/json" };
    if (token()) headers["Authorization"] = `Bearer ${token()}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch) headers["If-Match"] = ifMatch;
    const response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit",
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { response, data };
  }

  function explain(result) {
    const { response, data } = result;
    const detail = data && data.detail ? data.detail : response.statusText;
    for (const error of (data && data.errors) || []) {
      const node = document.querySelector(`.error[data-for="${CSS.escape(error.field)}"]`);
      if (node) node.textContent = error.message;
    }
    const messages = {
      401: "The token was not accepted: check it, or ask an organiser for a new one.",
      403: "This token may not edit this project.",
      412: "Someone else changed this project meanwhile. Your text is still here: " +
           "copy it, reload the page and apply it again.",
      422: "Some fields need fixing (see above).",
      429: "Too many requests: wait a moment and try again.",
    };
    status(`${messages[response.status] || "Not saved."} (${response.status}: ${detail})`, "bad");
  }

  async function load() {
    const [project, stages] = await Promise.all([call("GET", api), call("GET", `${base}/api/v1/stages`)]);
    if (!project.response.ok) { explain(project); return; }
    etag = project.response.headers.get("ETag") || "";
    loaded = project.data;
    $("project-name").textContent = loaded.name;
    document.title = `Edit ${loaded.name}`;
    for (const name of FIELDS) $(name).value = loaded[name] || "";
    const select = $("progress");
    select.replaceChildren();
    for (const stage of stages.data || []) {
      const option = document.createElement("option");
      option.value = String(stage.number);
      option.textContent = `${stage.label} (${stage.number})`;
      select.append(option);
    }
    const current = String(loaded.progress ?? 0);
    if (![...select.options].some((o) => o.value === current)) {
      // A stage off the ladder (a challenge awaiting approval): keep it selectable, so
      // that saving other fields never changes the stage by accident.
      const option = document.createElement("option");
      option.value = current;
      option.textContent = `Current stage (${current})`;
      select.prepend(option);
    }
    select.value = current;
    $("edit-form").hidden = false;
    $("post-form").hidden = false;
  }

  async function save(e) {
    e.preventDefault();
    clearErrors();
    if (!token()) { status("Paste your token first.", "bad"); $("token").focus(); return; }
    const patch = {};
    for (const name of FIELDS) {
      if ($(name).value !== (loaded[name] || "")) patch[name] = $(name).value;
    }
    status("Saving…");
    if (Object.keys(patch).length) {
      const result = await call("PATCH", api, patch, etag);
      if (!result.response.ok) { explain(result); return; }
      etag = result.response.headers.get("ETag") || etag;
      loaded = result.data;
    }
    const progress = Number($("progress").value);
    if (progress !== (loaded.progress ?? 0)) {
      const result = await call("PUT", `${api}/stage`, { progress }, etag);
      if (!result.response.ok) { explain(result); return; }
      etag = result.response.headers.get("ETag") || etag;
      loaded = result.data;
    }
    status("Saved. The site shows it within a few seconds.", "good");
  }

  async function post(e) {
    e.preventDefault();
    clearErrors();
    if (!token()) { status("Paste your token first.", "bad"); $("token").focus(); return; }
    const result = await call("POST", `${api}/activities`, { content: $("post").value });
    if (!result.response.ok) { explain(result); return; }
    $("post").value = "";
    status("Posted.", "good");
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token").value = sessionStorage.getItem("jamdat-token") || "";
    $("token").addEventListener("change", () => sessionStorage.setItem("jamdat-token", token()));
    $("token-form").addEventListener("submit", (e) => e.preventDefault());
    $("edit-form").addEventListener("submit", save);
    $("post-form").addEventListener("submit", post);
    load().catch((error) => status(`Could not load the project: ${error}`, "bad"));
  });
})();
