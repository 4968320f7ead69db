// Search ranking for the book (conf.py: html_search_scorer). Sphinx's own weights,
// plus one rule: a reader searching a word wants the chapter that teaches it first, and
// the API entry after it. Topic pages therefore gain over API pages; the
// generated whole-file pages and the verification report are not indexed at all.
var Scorer = {
  score: (result) => {
    const [docname, , , , score] = result;
    return docname.startsWith('api/') ? score : score + 20;
  },
  // Sphinx's defaults (searchtools.js), unchanged.
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
