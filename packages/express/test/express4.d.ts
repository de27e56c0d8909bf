// `express4` is the npm alias of Express 4 (devDependency); it has the same API as the
// `express` types describe for what the tests use.
declare module 'express4' {
  import express = require('express');
  export = express;
}
