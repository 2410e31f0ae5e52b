// The case page: the necessity checklist's print button.
document.getElementById('print-necessity')?.addEventListener('click', () => window.print());
