// Runs MDN HTTP Observatory's scan -- the function its CLI (mdn-http-observatory-scan) calls --
// and prints the grade, the score and how many tests ran.
// Usage: node observatory_scan.mjs <package directory> <hostname>
import path from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, hostname] = process.argv.slice(2);
const scanner = pathToFileURL(path.join(packageDir, "src", "scanner", "index.js")).href;
const { scan } = await import(scanner);
const result = await scan(hostname);
const tests = Object.keys(result.tests).length;
console.log(JSON.stringify({ grade: result.scan.grade, score: result.scan.score, tests }));
