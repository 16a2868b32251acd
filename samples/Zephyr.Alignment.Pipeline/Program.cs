using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Pipeline;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.Stages;

var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json")
    .AddJsonFile("appsettings.quick.json", optional: args.Contains("--quick") is false).AddCommandLine(args.Where(a => a != "--quick").ToArray()).Build();
var options = configuration.GetSection("Pipeline").Get<PipelineOptions>()!;
using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
var context = new PipelineContext(options, new RunLayout(options.OutputDirectory), new PipelineConsole(), loggers);
var sw = System.Diagnostics.Stopwatch.StartNew();
await context.Console.RunAsync(() => Task.Run(() => PretrainStage.Run(context, default)));
Console.WriteLine(sw.Elapsed);
