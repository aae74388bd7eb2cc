// Keeps the overview current without a reload: it asks the server for the page's changing
// part (rendered by the same template, so escaped the same way) every few seconds — often
// while a change runs, seldom otherwise, as the server says — and swaps it in when its
// digest differs. Without JavaScript the page works the same, with a Refresh link.
"use strict";
(function () {
  const live = document.getElementById("overview-live");
  if (!live || !live.dataset.live || !window.fetch) return;
  const hint = document.getElementById("overview-refresh");
  if (hint) hint.textContent = "This page updates itself.";

  let millis = Number(live.dataset.pollMillis) || 30000;
  const poll = async () => {
    if (document.visibilityState === "visible") {
      try {
        const res = await fetch(live.dataset.live, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (res.redirected) {
          window.location.assign("/signin"); // the session ended
          return;
        }
        if (res.ok) {
          const html = await res.text();
          const digest = res.headers.get("X-Digest");
          if (digest !== live.dataset.digest) {
            live.innerHTML = html;
            live.dataset.digest = digest;
          }
          millis = Number(res.headers.get("X-Poll-Millis")) || millis;
        }
      } catch (e) {
        // Offline for a moment: try again at the next tick.
      }
    }
    window.setTimeout(poll, millis);
  };
  window.setTimeout(poll, millis);
})();
