// Jest runs TypeScript through SWC (type-checking is `npm run build`'s job, which .ci/run also runs).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // ESM-only client libraries the end-to-end tests use, compiled to CommonJS for Jest.
    '/node_modules/fhir-kit-client/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!fhir-kit-client/)'],
  // fhir-kit-client exports only an `import` condition, which Jest's CommonJS resolver skips.
  moduleNameMapper: { '^fhir-kit-client$': '<rootDir>/node_modules/fhir-kit-client/dist/index.js' },
  globalSetup: '<rootDir>/test/global-setup.js',
  setupFiles: ['<rootDir>/test/worker-mongodb.js'],
  testTimeout: 60000,
  // Test files run in a worker that is replaced once it holds more than this after a file: in one
  // long-lived process the module registries of ~160 files (each loads the R4 definitions) grew
  // past Node's 4 GB heap. Setting it also keeps a one-worker run out of band (jest's own rule).
  workerIdleMemoryLimit: '1GB',
};
