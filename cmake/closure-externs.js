// Closure externs for the core's glue (--closure 1, ADVANCED).
// libsodium's randombytes JS falls back to Node's require('crypto') when no Web Crypto exists;
// browsers never take that path, but Closure must know the name.
/** @type {function(string):?} */
var require;
// The package hands libsodium a pooled random source as Module.getRandomValue (js/src/core.ts):
// Closure must not rename that property.
/** @const */
var TapgateModuleOptions = {};
/** @type {function():number} */
TapgateModuleOptions.getRandomValue;
