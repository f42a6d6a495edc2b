// Second yardstick of `npm run bench`: Node loading @pulumi/pulumi and the four cloud SDKs the
// fleet uses, and nothing else. What any program of this platform pays before its own first line.
"use strict";
require("@pulumi/pulumi");
require("@pulumi/aws");
require("@pulumi/gcp");
require("@pulumi/azure-native");
require("@pulumi/kubernetes");
const u = process.resourceUsage();
console.log(JSON.stringify({
    ms: Math.round(performance.now()),
    cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000),
    maxRssMb: Math.round(u.maxRSS / 1024),
}));
