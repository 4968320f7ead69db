// "Copy with includes" under a listing: copies the listing's #include lines (and any
// `using namespace` it relies on), a blank line, then exactly what the listing's own
// copy button copies.
document.addEventListener('click', async event => {
  const button = event.target.closest('button.ce-copy-includes');
  if (!button) return;
  const listing = button.closest('.ce-listing');
  const code = listing.querySelector('div.highlight td.code pre, div.highlight > pre');
  const lines = [...listing.querySelectorAll('.ce-includes code.ce-include-line')].map(c => c.innerText);
  const text = `${lines.join('\n')}\n\n${code.innerText.replace(/\n$/, '')}\n`;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch (e) {
    button.textContent = 'Copy failed';
  }
  setTimeout(() => { button.textContent = label; }, 1500);
});
