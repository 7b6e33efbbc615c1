namespace DDist.Tests;
