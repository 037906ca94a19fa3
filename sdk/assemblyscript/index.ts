// The package entry that `asc` resolves for `import ... from "@e2rx/sdk-assemblyscript"`; the SDK lives in assembly/.
export * from "./assembly/index";
