// Entry of the policy pack as the Pulumi CLI starts it (package.json "main"). Pulumi's policy-pack
// runner always registers ts-node with type-checking, which costs seconds on every preview; in the
// repository, the project's loader (../tools/register.js: types removed, lines kept, README
// "Program start") takes over `.ts` before anything is compiled. The type-check is `npm run build`.
// Where the pack stands alone (a published pack has no ../tools), ts-node loads it as before.
"use strict";
const fs = require("fs");
const path = require("path");

const register = path.join(__dirname, "..", "tools", "register.js");
if (fs.existsSync(register)) require(register);
module.exports = require("./index.ts");
