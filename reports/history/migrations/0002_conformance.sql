-- Conformance cases (issue 6). A case may end with a verdict the first
-- schema did not know, not-applicable: it is counted beside the others.
-- Each result keeps its conformance case (NULL for a plain scenario), so a
-- run whose scenario file could not be stored still renders as a case:
-- its ID, title, objective, reference and deciding checks.
--
-- Verdicts and check statuses are TEXT with no CHECK on their values, so
-- the new verdict and the not-applicable check status need nothing more.

ALTER TABLE runs ADD COLUMN not_applicable INTEGER NOT NULL DEFAULT 0;

ALTER TABLE scenario_results ADD COLUMN conformance TEXT; -- JSON scenarios.ConformanceSpec
