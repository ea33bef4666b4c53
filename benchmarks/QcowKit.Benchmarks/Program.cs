Console.WriteLine("QcowKit benchmarks: not yet written (see issue 10).");
return 1;
