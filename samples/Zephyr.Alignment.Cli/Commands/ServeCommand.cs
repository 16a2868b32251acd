using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Cli.Serving;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// <c>zephyr serve --model DIR [--urls http://127.0.0.1:PORT]</c>: an OpenAI-compatible server for one checkpoint
/// (ASP.NET Core minimal APIs), and a chat page at <c>/</c>. Binds to loopback unless told otherwise.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        Option<string> model = CommonOptions.Model();
        var name = new Option<string?>("--name") { Description = "The model id clients send as 'model'; default: the folder's name." };
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen (semicolon-separated). Default http://127.0.0.1:8000 (loopback only); port 0 picks a free port.",
            DefaultValueFactory = _ => "http://127.0.0.1:8000",
        };
        var maxTokens = new Option<int>("--max-tokens-limit") { Description = "The largest max_tokens a request may ask for.", DefaultValueFactory = _ => 1024 };
        var defaultTokens = new Option<int>("--default-max-tokens") { Description = "max_tokens of a request that sets none.", DefaultValueFactory = _ => 256 };
        var maxBody = new Option<long>("--max-request-bytes") { Description = "The largest request body accepted (413 above).", DefaultValueFactory = _ => 1 << 20 };
        Option<string> device = CommonOptions.Device();
        Option<string> dtype = CommonOptions.DType();
        var command = new Command("serve", "Serve a checkpoint over an OpenAI-compatible API (/v1/chat/completions with SSE streaming, /v1/models) and a chat page at /.")
        {
            model, name, urls, maxTokens, defaultTokens, maxBody, device, dtype,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = Checkpoint.RequireFolder(parse.GetValue(model)!);
            string id = parse.GetValue(name) ?? new DirectoryInfo(folder).Name;
            int limit = parse.GetValue(maxTokens);
            int fallback = parse.GetValue(defaultTokens);
            if (limit < 1 || fallback < 1 || fallback > limit)
            {
                throw new CliInputException($"--default-max-tokens ({fallback}) must be between 1 and --max-tokens-limit ({limit})");
            }

            long bodyLimit = parse.GetValue(maxBody);
            if (bodyLimit < 1024)
            {
                throw new CliInputException($"--max-request-bytes must be at least 1024; got {bodyLimit}");
            }

            string[] addresses = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (string address in addresses)
            {
                if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
                {
                    throw new CliInputException($"--urls: '{address}' is not an http:// URL");
                }
            }

            ModelLoadOptions load = ModelLoadOptions.From(new TorchDeviceOptions { Device = parse.GetValue(device)!, DType = parse.GetValue(dtype)! });
            using LocalChatClient client = LocalChatClient.Load(folder, new LocalChatClientOptions { ModelId = id }, load);

            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.UseUrls(addresses).ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = bodyLimit);
            await using WebApplication app = builder.Build();
            app.MapChatPage();
            app.MapOpenAIChatCompletions([new ServedModel(id, client, limit, fallback)]);
            await app.StartAsync(cancellationToken);
            ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("zephyr.serve");
            foreach (string address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
            {
                if (!IsLoopback(address))
                {
                    logger.LogWarning("Listening on {Address}, beyond loopback: anyone who can reach it can use the model (there is no authentication)", address);
                }

                Console.WriteLine($"zephyr serve: model '{id}' listening on {address} (chat page at {address}/, API at {address}/v1)");
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop serving; a clean shutdown, not a failure.
            }

            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static bool IsLoopback(string address)
    {
        var uri = new Uri(address.Replace("://+", "://any", StringComparison.Ordinal).Replace("://*", "://any", StringComparison.Ordinal));
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));
    }
}
