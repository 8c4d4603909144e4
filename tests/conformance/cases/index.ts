// Every conformance case, registered on import (runners import this, then iterate allCases()).
import "./routing.ts";
import "./weighted.ts";
import "./retries-timeouts.ts";
import "./headers-rewrites.ts";
import "./local-replies.ts";
