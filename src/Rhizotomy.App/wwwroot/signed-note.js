(function () {
  'use strict';
  var button = document.getElementById('print-note');
  if (!button || typeof window.print !== 'function') return;
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
})();
