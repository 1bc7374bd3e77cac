// A little help where a browser runs script; every page works without it.
// A handle marked data-copy gets a button that copies it (to paste into another server's
// search), and says so to screen readers.
document.querySelectorAll("[data-copy]").forEach((handle) => {
  if (!navigator.clipboard) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "quiet copy";
  button.textContent = handle.dataset.copyLabel || "Copy";
  const said = document.createElement("span");
  said.setAttribute("role", "status");
  said.className = "muted";
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(handle.dataset.copy);
      said.textContent = handle.dataset.copiedLabel || "Copied";
    } catch (e) {
      said.textContent = "";
    }
  });
  handle.after(" ", button, " ", said);
});
