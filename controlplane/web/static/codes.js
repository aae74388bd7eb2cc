// Copies the recovery codes to the clipboard, one a line. Without JavaScript (or a
// clipboard) the button stays hidden; the codes can still be selected or downloaded.
"use strict";
(function () {
  const button = document.getElementById("recovery-copy");
  const list = document.getElementById("recovery-codes");
  const status = document.getElementById("recovery-copied");
  if (!button || !list || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const codes = Array.from(list.querySelectorAll("code"), (c) => c.textContent).join("\n");
    navigator.clipboard.writeText(codes + "\n").then(
      () => { if (status) status.textContent = "Copied. Paste them into your password manager."; },
      () => { if (status) status.textContent = "Copying did not work; select the codes and copy them, or download them."; },
    );
  });
})();
