global using Zephyr.Alignment;
global using Zephyr.Alignment.Training;
