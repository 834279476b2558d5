// ScaleReady's only script: progressive enhancement on top of htmx. Pages work without it.
document.documentElement.classList.add("js");

// A save that never reached the server (network down, server error) must be visible,
// and the person's choice stays on screen because nothing was swapped.
function markUnsaved(event, reason) {
  const form = event.detail.elt.closest("form");
  const status = form && form.querySelector(".save-status");
  if (!status) return;
  status.classList.remove("saved");
  status.classList.add("error");
  const version = status.querySelector("input[name=base_version]");
  status.textContent = "Not saved: " + reason + " Your answer is still here; change it again or press Save to retry.";
  if (version) status.prepend(version);
  const save = form.querySelector(".save-button");
  if (save) save.classList.add("visible");
}

document.addEventListener("htmx:sendError", (event) => markUnsaved(event, "the server could not be reached."));
document.addEventListener("htmx:responseError", (event) => {
  if (event.detail.xhr.status >= 500) markUnsaved(event, "the server had a problem (" + event.detail.xhr.status + ").");
});
document.addEventListener("htmx:beforeRequest", (event) => {
  const status = event.detail.elt.querySelector && event.detail.elt.querySelector(".save-status");
  if (status && event.detail.elt.matches("form[hx-post]")) status.classList.add("saving");
});

// An anchor to something inside a folded section (a roadmap phase, a gap area) opens it.
function openTarget() {
  if (!location.hash) return;
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  for (let node = target; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
  }
}
window.addEventListener("hashchange", openTarget);
document.addEventListener("DOMContentLoaded", openTarget);
document.addEventListener("htmx:afterSettle", openTarget);

// Number keys choose a level on the question card that has the focus (not while typing):
// the radio is checked and a change event sent, so the answer autosaves as with a click.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || !/^[0-9]$/.test(event.key)) return;
  const field = event.target;
  if (field.matches && field.matches("textarea, input[type=text], input[type=url], input[type=search], select")) return;
  const card = field.closest && field.closest(".qcard");
  if (!card) return;
  const radio = card.querySelector(`input[name=choice][value="${event.key}"]`);
  if (!radio || radio.disabled) return;
  event.preventDefault();
  radio.checked = true;
  radio.focus();
  radio.dispatchEvent(new Event("change", { bubbles: true }));
});
