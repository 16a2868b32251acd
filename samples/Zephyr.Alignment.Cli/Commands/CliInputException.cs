namespace Zephyr.Alignment.Cli.Commands;

/// <summary>Bad input from the user (a missing folder, a malformed line): reported in one line, exit code 2.</summary>
internal sealed class CliInputException(string message, Exception? inner = null) : Exception(message, inner);
