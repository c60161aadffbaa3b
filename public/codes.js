// Reads a chosen CSV or text file into the prize-code box (the server parses it); a
// file input marked data-fills="<textarea id>". Without JavaScript, codes are pasted.
(function () {
  if (window.tombolaCodes) return;
  window.tombolaCodes = true;
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input || !input.dataset || !input.dataset.fills || !input.files || !input.files[0]) return;
    var box = document.getElementById(input.dataset.fills);
    if (!box) return;
    input.files[0].text().then(function (text) {
      box.value = text;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
