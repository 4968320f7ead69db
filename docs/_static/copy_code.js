// A copy button on every code listing, shown while the pointer is over the listing or
// the button has keyboard focus. It copies exactly the code shown: the code column of
// a numbered listing, never its line numbers. (sphinx-copybutton did this with a 26 KB
// clipboard library on every page; browsers have navigator.clipboard.)
(() => {
  const icon = '<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="8" y="8" width="12" height="13" rx="2"/>' +
               '<path d="M16 8V5a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h2"/></svg>';
  const add = () => {
    for (const block of document.querySelectorAll('div.highlight')) {
      const code = block.querySelector('td.code pre') || block.querySelector(':scope > pre');
      if (!code || block.querySelector(':scope > button.copybtn')) continue;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'copybtn';
      button.title = 'Copy to clipboard';
      button.setAttribute('aria-label', 'Copy to clipboard');
      button.innerHTML = icon;
      button.addEventListener('click', async () => {
        let done = 'Copied';
        try {
          await navigator.clipboard.writeText(code.innerText);
        } catch (e) {
          done = 'Copy failed';
        }
        button.title = done;
        button.classList.add(done === 'Copied' ? 'success' : 'failure');
        setTimeout(() => {
          button.title = 'Copy to clipboard';
          button.classList.remove('success', 'failure');
        }, 1500);
      });
      block.prepend(button);
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', add);
  else add();
})();
