/* global document, window, HTMLFormElement */
// Small enhancements of the dashboard; every page works without them.
//
// <form data-confirm="Hapus program ini?"> asks before sending (a delete, a broadcast).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // A second click while the first is on its way would send the form twice.
  if (form.dataset.sending === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  for (const button of form.querySelectorAll("button[type=submit]")) button.setAttribute("aria-busy", "true");
});

// Going back to a page from the browser's cache must not leave its forms locked.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-sending]")) delete form.dataset.sending;
});

// On a phone the menu is one row that scrolls sideways: bring the current page's link into view.
const current = document.querySelector(".main-nav a[aria-current=page]");
if (current) current.scrollIntoView({ block: "nearest", inline: "center" });
