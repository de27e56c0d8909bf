import { jest } from '@jest/globals';

// jest-circus 30 reads only the global `testTimeout` (or jest.setTimeout), not a project's:
// fault, crash and fuzz runs start collectors, shops and child processes, so give each test
// minutes. Every wait inside the tests has its own, shorter deadline.
jest.setTimeout(240_000);
