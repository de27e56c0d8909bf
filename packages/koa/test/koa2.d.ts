// `koa2` is the npm alias of Koa 2 (devDependency); the tests use only what Koa 3's
// types describe in the same way.
declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
