// ESM + TypeScript: ts-jest's ESM preset, run under `node --experimental-vm-modules` (see package.json).
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
};

export default {
  // Global only (jest ignores it per project): integration tests start processes and wait on them.
  testTimeout: 120000,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
