// Package browser holds the portal's browser tests: real Chromium driven
// over the DevTools protocol (chromedp) against the real portal, served
// in-process on a loopback port with the demo data set in a temporary
// SQLite store. The tests walk the scenarios of the pages (a parent's
// search, a school clerk's verification and receipt, an editor's draft and
// a reviewer's approval, a withdrawn case), run axe-core on every page they
// visit, check the pages at 320 px and by keyboard, and weigh every public
// page. They need PORTAL_TEST_CHROMIUM (the browser) and PORTAL_TEST_AXE
// (axe.min.js); .ci/run sets both. Without them the tests skip, unless CI
// is set, when they fail.
//
// The package has no code outside its tests.
package browser
