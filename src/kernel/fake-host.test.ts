import { FakeHost } from "./fake-host.js";
import { hostConformance } from "./host-testsuite.js";

hostConformance("FakeHost", () => new FakeHost());
