package app

// CaseDocument exposes caseDocument to the package's external tests.
var CaseDocument = caseDocument
