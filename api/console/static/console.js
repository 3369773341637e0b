// Enhancements of the console's pages; every page works without this script.
"use strict";

// Pitch order: drag a pitch onto another place, and the same form as the move buttons
// is submitted with the new order.
function pitchDragging() {
  const list = document.getElementById("pitch-list");
  const form = document.getElementById("pitch-form");
  if (!list || !form) return;
  let dragged = null;
  let before = "";
  const order = () => Array.from(list.children).map((li) => li.dataset.slug).join(" ");
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li");
    before = order();
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.slug);
    dragged.classList.add("dragging");
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => event.preventDefault());
  list.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    if (order() !== before) form.requestSubmit();
  });
}

// Sync job: follow its event stream, then show the server's page of the outcome.
function jobProgress() {
  const job = document.getElementById("job");
  if (!job || job.dataset.status !== "running" || !window.EventSource) return;
  const progress = document.getElementById("job-progress");
  const rows = document.querySelector("#outcomes tbody");
  const stream = new EventSource(job.dataset.stream);
  stream.addEventListener("progress", (message) => {
    const data = JSON.parse(message.data);
    progress.textContent = `${data.done} of ${data.total === null ? "?" : data.total}`;
    const row = rows.insertRow();
    row.dataset.slug = data.project.slug;
    for (const text of [data.project.slug, data.project.status, data.project.reason]) {
      row.insertCell().textContent = text;
    }
  });
  const end = () => {
    stream.close();
    window.location.reload();
  };
  stream.addEventListener("finished", end);
  stream.addEventListener("failed", end);
}

pitchDragging();
jobProgress();
