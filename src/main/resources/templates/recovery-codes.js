// The printable recovery sheet's one behaviour, in a file because the CSP forbids inline script.
document.getElementById('print')?.addEventListener('click', () => window.print());
