// certdesk console: progressive enhancement only. Without JavaScript every button is a link to
// a page that does the same; with it, the cancellation's confirmation opens as a modal.
(function () {
  "use strict";

  function openModal(modal, opener) {
    modal.hidden = false;
    modal.classList.add("govgr-modal__open");
    modal.dataset.opener = opener.id || "";
    var field = modal.querySelector("textarea, input:not([type=hidden]), button");
    if (field) field.focus();
  }

  function closeModal(modal) {
    modal.classList.remove("govgr-modal__open");
    modal.hidden = true;
    var opener = modal.dataset.opener && document.getElementById(modal.dataset.opener);
    if (opener) opener.focus();
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-modal]");
    if (opener) {
      var modal = document.getElementById(opener.getAttribute("data-open-modal"));
      if (modal) {
        event.preventDefault();
        openModal(modal, opener);
      }
      return;
    }
    var closer = event.target.closest("[data-close-modal]");
    var open = closer && closer.closest(".govgr-modal");
    if (open) {
      event.preventDefault();
      closeModal(open);
      return;
    }
    // A click on the backdrop closes the modal too.
    if (event.target.classList && event.target.classList.contains("govgr-modal__open")) {
      closeModal(event.target);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector(".govgr-modal.govgr-modal__open");
    if (open) closeModal(open);
  });
})();
