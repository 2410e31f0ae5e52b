Console.Error.WriteLine("usage: rhizotomy <validate|render> ...");
return 2;
