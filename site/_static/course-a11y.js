// Accessible names the embedded widget renderer leaves out: ipywidgets draws a slider's handle (role="slider")
// without a label, so a screen reader hears "slider" alone. Name each handle after its widget's visible label.
(function () {
  function nameHandles(root) {
    root.querySelectorAll('[role="slider"]:not([aria-label]):not([aria-labelledby])').forEach(function (handle) {
      var widget = handle.closest(".widget-slider, .jupyter-widget-slider, .widget-inline-hbox");
      var label = widget && widget.querySelector(".widget-label");
      var text = label && label.textContent.trim();
      if (text) handle.setAttribute("aria-label", text);
    });
  }
  var observer = new MutationObserver(function () { nameHandles(document); });
  document.addEventListener("DOMContentLoaded", function () {
    nameHandles(document);
    observer.observe(document.body, { childList: true, subtree: true });
  });
})();
