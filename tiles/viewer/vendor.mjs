// Copy the map library's dist files into the Python package (tiles/static/leaflet) so the
// viewer works offline. Run with `npm install && npm run vendor` after changing the version.
import { cpSync, mkdirSync } from "node:fs";

const src = "node_modules/leaflet";
const dst = "../static/leaflet";
mkdirSync(`${dst}/images`, { recursive: true });
for (const f of ["leaflet.js", "leaflet.css"]) cpSync(`${src}/dist/${f}`, `${dst}/${f}`);
cpSync(`${src}/dist/images`, `${dst}/images`, { recursive: true });
cpSync(`${src}/LICENSE`, `${dst}/LICENSE`);
console.log(`copied leaflet dist files into ${dst}`);
