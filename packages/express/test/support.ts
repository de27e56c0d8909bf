// Shared with the other adapters; kept as a module here for the tests that import './support.js'.
export { listen, recordingLogger } from '@mapp-s2s/adapter-tests';
