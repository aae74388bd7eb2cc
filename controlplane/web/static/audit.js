// Follows the audit log live: new events arrive over server-sent events as table rows the
// server rendered (escaped by its templates) and are put on top of the table. Without
// JavaScript the page works the same, with a Refresh link.
"use strict";
(function () {
  const table = document.getElementById("audit-table");
  const rows = document.getElementById("audit-rows");
  const status = document.getElementById("live-status");
  if (!table || !rows || !table.dataset.live || !window.EventSource) return;

  const setStatus = (state, text) => {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  };
  const source = new EventSource(table.dataset.live);
  source.addEventListener("open", () => setStatus("live", "Following live: new events appear at the top."));
  source.addEventListener("error", () => setStatus("lost", "Connection lost; reconnecting…"));
  source.addEventListener("audit", (e) => {
    const seq = e.lastEventId;
    if (seq && rows.querySelector('tr[data-seq="' + CSS.escape(seq) + '"]')) return;
    rows.insertAdjacentHTML("afterbegin", e.data);
    const row = rows.firstElementChild;
    if (row) row.classList.add("fresh");
    const empty = document.getElementById("audit-empty");
    if (empty) empty.remove();
  });
  source.addEventListener("signed-out", () => {
    source.close();
    window.location.assign("/signin");
  });
})();
