// The panel's logic without the DOM, bundled for node --test (test/unit) and for the
// scheduling benchmark (bench/). Not part of the uploaded panel.
export * from "./api";
export * from "./clock";
export * from "./i18n";
export * from "./names";
export * from "./push";
export * from "./schedule";
export * from "./types";
